# tests of superspike.so: filled in by its author
