"""A plugin that fails to import: the catalog must survive it."""

raise RuntimeError("this plugin is broken on purpose")
