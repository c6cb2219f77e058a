# plugins/dynapse2_export: filled in by its author
