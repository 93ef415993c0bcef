// Text placed into the few HTML pages the service writes itself (the setup page, the OAuth result page):
// the five characters that could open markup or end an attribute become numeric character references.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
