// CSV cells for the transfer log's export (RFC 4180): a cell with a comma, a quote or a line break is
// quoted, quotes doubled. A cell starting with = + - @ (or a tab or carriage return) would be read as a
// formula by a spreadsheet — record ids and error messages come from outside — so it is prefixed with a
// single quote, which spreadsheets show as text (docs/transfers.md).
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
