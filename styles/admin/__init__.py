"""Staff admin for styles: fine-tunes to review (approve or reject), adapters, datasets, presets
and brand kits (`site`, with what a reviewer sees in `review`). Importing `site` here registers
the model admins when Django autodiscovers this package.
"""

from styles.admin import site  # noqa: F401  (Django autodiscovers this package)
