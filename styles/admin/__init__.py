from styles.admin import site  # noqa: F401  (Django autodiscovers this package)
