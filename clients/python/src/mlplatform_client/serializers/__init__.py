"""The types of the API's answers."""
