"""Core feature: knowledgebase: categories, articles, search."""
