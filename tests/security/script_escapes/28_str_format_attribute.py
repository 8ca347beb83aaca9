# expect: format
template = "{0.__class__.__base__.__subclasses__}"
template.format(())
