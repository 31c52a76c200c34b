"""`make demo` runs end to end and prints the registry and balances."""

import pytest

from bench import demo


def test_demo_prints_registry_and_balances(capsys: pytest.CaptureFixture[str]) -> None:
    demo.main()
    out = capsys.readouterr().out
    assert "600.00" in out and "50.00" in out  # 5% of 12 000 for the company, of 1 000 for the contact
    assert "skipped: no_client" in out and "503s: 0" in out
