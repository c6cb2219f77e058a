# tests of bss2.so: filled in by its author
