"""The staff panel (docs/panel.md): views, forms, read-side queries and routes."""
