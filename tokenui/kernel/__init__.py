"""What every token system's pages share, whichever system they show: name and IP rules
(`validators`), the table's times and expiry words (`display`), the list kept for search, sort
and paging (`kept`), the export (`export`), prefilled links and presets (`links`), and
rotation's rules (`rotation`). Nothing here knows WHM from cPanel, or imports the pages."""
