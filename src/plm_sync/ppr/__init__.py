"""The PLM plan workbook (PPR): write a product line as PLM imports it, read operator edits."""
