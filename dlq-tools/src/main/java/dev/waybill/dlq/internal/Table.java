package dev.waybill.dlq.internal;

import dev.waybill.outbox.internal.SafeText;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table: columns padded to their widest cell, long cells cut. Not API. */
public final class Table {
  private static final int MAX_CELL = 60;

  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  /** A table with these column headers. */
  public Table(String... headers) {
    this.headers = List.of(headers);
  }

  /**
   * Adds a row; null cells show as {@code -}, newlines as spaces, other control characters escaped
   * ({@link SafeText}): cells hold text read from dead letters.
   */
  public Table row(Object... cells) {
    List<String> r = new ArrayList<>();
    for (Object c : cells) {
      String s =
          c == null ? "-" : SafeText.escape(c.toString().replace('\n', ' ').replace('\r', ' '));
      r.add(s.length() > MAX_CELL ? s.substring(0, MAX_CELL - 1) + "…" : s);
    }
    rows.add(r);
    return this;
  }

  /** The number of rows. */
  public int size() {
    return rows.size();
  }

  /** Prints the table. */
  public void print(PrintWriter out) {
    int[] w = new int[headers.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = headers.get(i).length();
      for (List<String> r : rows) {
        w[i] = Math.max(w[i], r.get(i).length());
      }
    }
    line(out, headers, w);
    for (List<String> r : rows) {
      line(out, r, w);
    }
    out.flush();
  }

  private static void line(PrintWriter out, List<String> cells, int[] w) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        b.append("  ");
      }
      b.append(cells.get(i));
      if (i < cells.size() - 1) {
        b.append(" ".repeat(w[i] - cells.get(i).length()));
      }
    }
    out.println(b);
  }
}
