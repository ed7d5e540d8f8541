package dev.waybill.outbox.internal;

/**
 * Text from outside (dead-letter headers, exception messages, outbox rows written with plain SQL)
 * made safe to print on an operator's terminal: a character a terminal would act on instead of
 * showing (C0 controls, DEL, C1 controls, and the bidirectional controls that reorder what is
 * shown, such as U+202E) is written as a visible escape. The one place every command-line output of
 * Waybill escapes text, and {@link Json#quote} escapes the same characters. Thread-safe. Not API.
 */
public final class SafeText {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private SafeText() {}

  /**
   * Whether a terminal would act on {@code c} rather than show it: C0 controls (U+0000–U+001F),
   * DEL, C1 controls (U+0080–U+009F), the bidirectional marks, embeddings, overrides and isolates
   * (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and the line and paragraph separators
   * (U+2028, U+2029).
   */
  public static boolean isUnsafe(char c) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || c == 0x061c
        || c == 0x200e
        || c == 0x200f
        || (c >= 0x2028 && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069);
  }

  /**
   * {@code text} with every {@linkplain #isUnsafe unsafe} character escaped: tab, newline and
   * carriage return as {@code \t}, {@code \n}, {@code \r}, other characters up to U+00FF as {@code
   * \xHH} (ESC is {@code \x1b}), the rest as <code>&#92;uHHHH</code>. Null stays null; text without
   * unsafe characters is returned as it is.
   */
  public static String escape(String text) {
    return escape(text, false);
  }

  /**
   * As {@link #escape}, but keeps line breaks ({@code \n}) and tabs for text shown on several
   * lines, such as a stack trace; a carriage return is still escaped.
   */
  public static String escapeKeepingLines(String text) {
    return escape(text, true);
  }

  private static String escape(String text, boolean keepLines) {
    if (text == null) {
      return null;
    }
    int first = firstUnsafe(text, keepLines);
    if (first < 0) {
      return text;
    }
    StringBuilder b = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isUnsafe(c) || (keepLines && isLayout(c))) {
        b.append(c);
      } else if (c == '\t') {
        b.append("\\t");
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c == '\r') {
        b.append("\\r");
      } else if (c <= 0xff) {
        b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else {
        b.append("\\u");
        appendHex4(b, c);
      }
    }
    return b.toString();
  }

  /** Appends {@code c} as four lower-case hex digits. */
  static void appendHex4(StringBuilder b, char c) {
    b.append(HEX[(c >> 12) & 0xf])
        .append(HEX[(c >> 8) & 0xf])
        .append(HEX[(c >> 4) & 0xf])
        .append(HEX[c & 0xf]);
  }

  private static boolean isLayout(char c) {
    return c == '\n' || c == '\t';
  }

  private static int firstUnsafe(String text, boolean keepLines) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isUnsafe(c) && !(keepLines && isLayout(c))) {
        return i;
      }
    }
    return -1;
  }
}
