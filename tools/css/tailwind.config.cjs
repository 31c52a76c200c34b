// Tailwind 3 with the Bitrix24 UI kit's design tokens (@bitrix24/b24style) -> handlers/static/app.css.
// The plugin replaces Tailwind's palette, type scale, spacing, radii and shadows with the kit's
// tokens (api-reference/widgets/ui-kit/quick-start.md, "Level 2: Design Tokens Only"); our component
// classes in app.src.css are composed from those tokens with @apply, never from hand-picked colours.
const b24style = require('@bitrix24/b24style');
const forms = require('@tailwindcss/forms');

module.exports = {
  // Tailwind keeps only the classes it finds here: the templates, the scripts and specimen.html
  // (one of every component, so the whole kit is built even before a page uses it).
  content: {
    relative: true,
    files: ['./specimen.html', '../../handlers/templates/**/*.html', '../../handlers/static/*.js'],
  },
  plugins: [
    // The kit's fonts are system stacks unless useLocalFonts; we ship no web fonts (portal CSPs).
    (b24style.default || b24style)({ logs: false, useLocalFonts: false }),
    // The kit lists @tailwindcss/forms as its own plugin, but a plugin's nested plugins are not
    // applied by Tailwind 3, so it is registered here (base strategy: every input looks native).
    forms({ strategy: 'base' }),
  ],
};
