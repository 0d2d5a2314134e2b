"""Importers of contributions made on other platforms (Decidim open-data exports)."""
