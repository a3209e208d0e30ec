"""The library's core: the errors it raises."""
