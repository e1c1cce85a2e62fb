"""morph-kgc (RML) comparison: the national API records mapped by a declarative mapping."""
