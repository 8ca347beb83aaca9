# expect: format
"{x.__class__}".format_map({"x": ()})
