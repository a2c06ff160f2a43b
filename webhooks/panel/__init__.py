"""The staff panel (DESIGN §5): views, forms, read-side queries and routes."""
