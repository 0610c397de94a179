"""The product's logic. No discord imports here: every service runs on a Database and a Clock."""
