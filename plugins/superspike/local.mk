# plugins/superspike: filled in by its author
