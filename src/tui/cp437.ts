// Code page 437 (the VGA ROM font) → Unicode, as QEMU's curses display maps it:
// 0x00–0x1F are the PC glyphs (0x00 as a space), 0x20–0x7E ASCII, 0x7F ⌂, 0x80–0xFF as glibc's iconv.

const LOW =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼';
const HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** Unicode code point for each CP437 byte. */
export const CP437_TO_UNICODE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  const low = [...LOW], high = [...HIGH];
  for (let i = 0; i < 32; i++) table[i] = low[i].codePointAt(0)!;
  for (let i = 32; i < 127; i++) table[i] = i;
  table[127] = 0x2302;
  for (let i = 0; i < 128; i++) table[128 + i] = high[i].codePointAt(0)!;
  return table;
})();
