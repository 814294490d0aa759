import { stringWidth } from './units.js';

/** Settings of an elastic-tabstop writer (Go `text/tabwriter`; docker uses minwidth 10, tabwidth 1, padding 3, ' '). */
export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
}

/** docker's table settings (`formatter.Context.postFormat`). */
export const DOCKER_TABWRITER: TabwriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ' };

interface Cell {
  text: string;
  width: number;
}

/**
 * Aligns tab-terminated cells into columns with Go's elastic tabstops: a column is a run of consecutive
 * lines that have a cell at that index; the text after the last tab of a line is not part of a column.
 * Output is identical to `text/tabwriter` with flags 0 and a space padchar.
 */
export function tabwrite(text: string, o: TabwriterOptions = DOCKER_TABWRITER): string {
  const lines: Cell[][] = text.split('\n').map((l) => l.split('\t').map((t) => ({ text: t, width: stringWidth(t) })));
  const out: string[] = [];
  const widths: number[] = [];
  const pad = (n: number): string => (n > 0 ? o.padchar.repeat(n) : '');

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      let s = '';
      line.forEach((c, j) => {
        s += c.text;
        if (j < line.length - 1 && j < widths.length) s += pad(widths[j]! - c.width);
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = o.minwidth;
      for (; t < line1; t++) {
        const line = lines[t]!;
        if (column >= line.length - 1) break;
        const w = line[column]!.width + o.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
      t--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}
