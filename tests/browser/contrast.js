/*
 * WCAG AA, measured in the page (tests/browser/look.py): for every visible element with its own text,
 * its colour against the first opaque background up the tree (1.4.3: 4.5:1, large text 3:1); for
 * every input, its border against what surrounds it (1.4.11: 3:1). Disabled controls are exempt.
 */
(selector) => {
  function parse(text) {
    var parts = (text.match(/rgba?\(([^)]+)\)/) || [null, ""])[1].split(/[\s,\/]+/).filter(Boolean);
    if (parts.length < 3) return null;
    return { r: +parts[0], g: +parts[1], b: +parts[2], a: parts.length > 3 ? +parts[3] : 1 };
  }
  function channel(value) {
    value = value / 255;
    return value <= 0.03928 ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
  }
  function luminance(c) { return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b); }
  function ratio(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function backgroundOf(element) {
    for (; element; element = element.parentElement) {
      var colour = parse(getComputedStyle(element).backgroundColor);
      if (colour && colour.a > 0.99) return colour;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  }
  function visible(element) {
    return element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
  }
  function ownText(element) {
    return Array.prototype.some.call(element.childNodes, function (node) {
      return node.nodeType === 3 && node.textContent.trim();
    });
  }
  var found = [];
  document.querySelectorAll(selector).forEach(function (element) {
    if (!visible(element) || element.closest("[disabled], option")) return;
    var style = getComputedStyle(element), background = backgroundOf(element);
    var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    if (ownText(element)) {
      found.push({ kind: "text", text: element.textContent.trim().slice(0, 40), color: style.color,
                   ratio: ratio(parse(style.color), background),
                   need: size >= 24 || (bold && size >= 18.66) ? 3 : 4.5 });
    }
    if (element.matches("input:not([type=checkbox]):not([type=radio]), select, textarea")) {
      var around = backgroundOf(element.parentElement);
      found.push({ kind: "border", text: element.name || element.type, color: style.borderTopColor,
                   ratio: ratio(parse(style.borderTopColor), around), need: 3 });
    }
  });
  return found;
}
