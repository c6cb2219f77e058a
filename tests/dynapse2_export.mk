# tests of dynapse2_export.so: filled in by its author
