"""The composition root: the only code that wires things — settings, database, clock, queue, lanes
and their steps, the Flask app, the console and the worker. It may import every layer below it;
nothing imports it except the entry shims in ``b24app`` (``cli``, ``worker``, ``wsgi``) and tests.
"""
