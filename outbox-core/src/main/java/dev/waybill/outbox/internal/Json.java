package dev.waybill.outbox.internal;

import dev.waybill.outbox.InvalidMessageException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON Waybill needs without a JSON library: a well-formedness check for payloads (RFC
 * 8259), and the codec of the {@code headers} column, a flat object of string values. Not API.
 */
public final class Json {
  private static final int MAX_DEPTH = 512;

  private final String s;
  private int pos;

  private Json(String s) {
    this.s = s;
  }

  /**
   * Checks that {@code text} is exactly one JSON value with optional surrounding whitespace.
   *
   * @throws InvalidMessageException naming {@code field} and the offset of the first error
   */
  public static void requireWellFormed(String text, String field) {
    Json p = new Json(text);
    try {
      p.ws();
      p.value(0);
      p.ws();
      if (p.pos != text.length()) {
        throw p.error("unexpected text after the JSON value");
      }
    } catch (IllegalArgumentException e) {
      throw new InvalidMessageException(
          field, field + " is not well-formed JSON: " + e.getMessage());
    }
  }

  /**
   * Parses a JSON object into maps (objects, keys in document order), lists (arrays), strings,
   * {@link Double}s (numbers), booleans and nulls.
   *
   * @throws IllegalArgumentException with the offset when the text is not one JSON object
   */
  public static Map<String, Object> parseObject(String text) {
    Json p = new Json(text);
    p.ws();
    if (p.peek() != '{') {
      throw p.error("expected '{'");
    }
    Object v = p.value(0);
    p.ws();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) v;
    return m;
  }

  /** Encodes a flat string map as a JSON object, keys in map order. */
  public static String encodeObject(Map<String, String> map) {
    StringBuilder b = new StringBuilder(16 + map.size() * 32).append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : map.entrySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      quote(b, e.getKey()).append(':');
      quote(b, e.getValue());
    }
    return b.append('}').toString();
  }

  /**
   * Decodes a JSON object whose values are all strings (the {@code headers} column).
   *
   * @throws IllegalArgumentException with the offset when the text is not such an object
   */
  public static Map<String, String> decodeObject(String text) {
    Json p = new Json(text);
    Map<String, String> out = new LinkedHashMap<>();
    p.ws();
    p.expect('{');
    p.ws();
    if (p.peek() == '}') {
      p.pos++;
    } else {
      while (true) {
        p.ws();
        String k = p.string();
        p.ws();
        p.expect(':');
        p.ws();
        if (p.peek() != '"') {
          throw p.error("header '" + k + "' must have a string value");
        }
        out.put(k, p.string());
        p.ws();
        char c = p.next();
        if (c == '}') {
          break;
        }
        if (c != ',') {
          throw p.errorAt(p.pos - 1, "expected ',' or '}'");
        }
      }
    }
    p.ws();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the JSON object");
    }
    return out;
  }

  /**
   * A JSON string literal for {@code value}, quotes included; the characters {@link
   * SafeText#isUnsafe} names are written as <code>&#92;uHHHH</code>.
   */
  public static String quote(String value) {
    return quote(new StringBuilder(value.length() + 2), value).toString();
  }

  private static StringBuilder quote(StringBuilder b, String v) {
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (SafeText.isUnsafe(c)) {
            // valid JSON either way; escaped, a terminal showing the JSON cannot act on it
            b.append("\\u");
            SafeText.appendHex4(b, c);
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"');
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH + " levels");
    }
    char c = peek();
    switch (c) {
      case '{' -> {
        pos++;
        Map<String, Object> out = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
          pos++;
          return out;
        }
        while (true) {
          ws();
          String k = string();
          ws();
          expect(':');
          ws();
          out.put(k, value(depth + 1));
          ws();
          char n = next();
          if (n == '}') {
            return out;
          }
          if (n != ',') {
            throw errorAt(pos - 1, "expected ',' or '}'");
          }
        }
      }
      case '[' -> {
        pos++;
        List<Object> out = new ArrayList<>();
        ws();
        if (peek() == ']') {
          pos++;
          return out;
        }
        while (true) {
          ws();
          out.add(value(depth + 1));
          ws();
          char n = next();
          if (n == ']') {
            return out;
          }
          if (n != ',') {
            throw errorAt(pos - 1, "expected ',' or ']'");
          }
        }
      }
      case '"' -> {
        return string();
      }
      case 't' -> {
        literal("true");
        return Boolean.TRUE;
      }
      case 'f' -> {
        literal("false");
        return Boolean.FALSE;
      }
      case 'n' -> {
        literal("null");
        return null;
      }
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          int start = pos;
          number();
          return Double.valueOf(s.substring(start, pos));
        }
        throw error("expected a JSON value");
      }
    }
  }

  private void number() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("expected a digit");
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after '.'");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in the exponent");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (pos == start) {
      throw error("expected a number");
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(pos++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw errorAt(pos - 1, "control character in a string must be escaped");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (pos + 4 > s.length()) {
            throw error("truncated \\u escape");
          }
          try {
            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
          } catch (NumberFormatException ex) {
            throw error("invalid \\u escape");
          }
          pos += 4;
        }
        default -> throw errorAt(pos - 1, "invalid escape '\\" + e + "'");
      }
    }
  }

  private void literal(String word) {
    if (!s.startsWith(word, pos)) {
      throw error("expected '" + word + "'");
    }
    pos += word.length();
  }

  private void ws() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\0';
  }

  private char next() {
    if (pos >= s.length()) {
      throw error("unexpected end of text");
    }
    return s.charAt(pos++);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private IllegalArgumentException error(String what) {
    return errorAt(pos, what);
  }

  private IllegalArgumentException errorAt(int at, String what) {
    return new IllegalArgumentException(what + " at offset " + at);
  }
}
