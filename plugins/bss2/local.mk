# plugins/bss2: filled in by its author
