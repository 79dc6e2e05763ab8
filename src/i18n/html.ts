/** Telegram HTML parse mode needs &, < and > escaped in text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** How long Telegram counts an HTML message (tags left out, entities as one character each): limits are on this. */
export function htmlTextLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(?:amp|lt|gt|quot|#\d+|#x[\da-f]+);/gi, '_').length;
}
