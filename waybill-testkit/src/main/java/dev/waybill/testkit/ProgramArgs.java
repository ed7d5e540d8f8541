package dev.waybill.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --name value} (or {@code --name=value}) options of one of the project's programs (a
 * benchmark, the chaos soak). Every option is declared once with its default and description;
 * unknown options and bad values are all reported at once. Not thread-safe.
 */
public final class ProgramArgs {

  /** Thrown for unusable arguments (the message lists every problem) and for {@code --help}. */
  public static final class BadArgumentsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean helpRequested;

    BadArgumentsException(String message, boolean helpRequested) {
      super(message);
      this.helpRequested = helpRequested;
    }

    /** Whether the "problem" is only that {@code --help} was asked for. */
    public boolean helpRequested() {
      return helpRequested;
    }
  }

  private record Option(String name, String defaultValue, String description) {}

  private final String program;
  private final String command;
  private final Map<String, Option> options = new LinkedHashMap<>();
  private final Map<String, String> values = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();

  /**
   * @param program how the program is started, for the usage, e.g. {@code java -jar
   *     waybill-bench.jar}
   * @param command the command whose options these are, e.g. {@code relay-drain}; empty for a
   *     program without commands
   */
  public ProgramArgs(String program, String command) {
    this.program = program;
    this.command = command;
  }

  /** Declares an option; {@code defaultValue} may be empty but not null. */
  public ProgramArgs option(String name, String defaultValue, String description) {
    options.put(name, new Option(name, defaultValue, description));
    return this;
  }

  /**
   * Reads the arguments.
   *
   * @throws BadArgumentsException for {@code --help} (with the usage) or unknown options
   */
  public ProgramArgs parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        throw new BadArgumentsException(usage(), true);
      }
      if (!a.startsWith("--")) {
        problems.add("'" + a + "' → argument " + (i + 1) + " → expected --name value");
        continue;
      }
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        problems.add("--" + name + " → has no value");
        continue;
      }
      if (!options.containsKey(name)) {
        problems.add("--" + name + " → unknown option; known: " + options.keySet());
        continue;
      }
      values.put(name, value);
    }
    return this;
  }

  /**
   * The arguments without the named options (either form, {@code --name value} or {@code
   * --name=value}), for passing the rest on to a child process.
   */
  public static List<String> without(List<String> args, java.util.Set<String> names) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String name = a.startsWith("--") ? a.substring(2) : null;
      boolean inline = name != null && name.contains("=");
      if (inline) {
        name = name.substring(0, name.indexOf('='));
      }
      if (name != null && names.contains(name)) {
        if (!inline) {
          i++; // its value
        }
        continue;
      }
      out.add(a);
    }
    return out;
  }

  /** The value of a declared option, or its default. */
  public String string(String name) {
    Option o = options.get(name);
    if (o == null) {
      throw new IllegalArgumentException("option --" + name + " was not declared");
    }
    return values.getOrDefault(name, o.defaultValue());
  }

  /** An integer option in {@code [min, max]}; a bad value is recorded as a problem. */
  public int integer(String name, int min, int max) {
    String v = string(name).replace("_", "").replace(",", "");
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        problems.add("'" + v + "' → --" + name + " → expected " + min + " to " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      problems.add("'" + v + "' → --" + name + " → expected a whole number");
      return min;
    }
  }

  /** A yes/no option ({@code true/false/yes/no/on/off}); a bad value is recorded as a problem. */
  public boolean bool(String name) {
    String v = string(name).trim().toLowerCase(java.util.Locale.ROOT);
    switch (v) {
      case "true", "yes", "on", "1" -> {
        return true;
      }
      case "false", "no", "off", "0" -> {
        return false;
      }
      default -> {
        problems.add("'" + v + "' → --" + name + " → expected true or false");
        return false;
      }
    }
  }

  /** Records a problem found by the benchmark's own checks. */
  public void problem(String text) {
    problems.add(text);
  }

  /**
   * @throws BadArgumentsException listing every problem found so far, with the usage
   */
  public void requireValid() {
    if (!problems.isEmpty()) {
      throw new BadArgumentsException(
          "bad arguments for '"
              + (command.isEmpty() ? program : command)
              + "':\n  "
              + String.join("\n  ", problems)
              + "\n"
              + usage(),
          false);
    }
  }

  public String usage() {
    StringBuilder b = new StringBuilder("usage: ").append(program);
    if (!command.isEmpty()) {
      b.append(' ').append(command);
    }
    b.append(" [options]\noptions:\n");
    for (Option o : options.values()) {
      b.append(String.format("  --%-12s %s", o.name(), o.description()));
      b.append(
          o.defaultValue().isEmpty()
              ? " (default: empty)"
              : " (default: " + o.defaultValue() + ")");
      b.append('\n');
    }
    return b.toString();
  }
}
