DROP TABLE codeset_imports;
