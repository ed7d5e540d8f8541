package dev.waybill.outbox.jdbc;

import dev.waybill.outbox.WaybillException;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A database connection could not be opened, with the driver's own reason (wrong password, unknown
 * database, nothing listening) and what to do about it. Connection pools hide that reason behind
 * "Connection is not available, request timed out"; {@link #find} digs it out. The message never
 * contains the password.
 */
public final class DatabaseConnectionException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /** Why the connection failed. */
  public enum Reason {
    /** The server refused the user or the password. */
    AUTHENTICATION("check db.user and db.password, and that this user may log in from this host"),
    /** The server has no database of that name. */
    UNKNOWN_DATABASE("check the database name in db.url, or create that database"),
    /**
     * The server answered that it is starting up, shutting down or recovering from a crash, or
     * closed the connection while it was being opened.
     */
    UNAVAILABLE(
        "the server is starting up, shutting down or recovering: wait until it accepts"
            + " connections"),
    /** Nothing answered at the address: wrong host or port, server down, or a firewall. */
    UNREACHABLE(
        "check the host and port in db.url, and that the database server runs and can be"
            + " reached from here"),
    /** Another reason, given by the driver. */
    OTHER("check db.url, db.user and db.password");

    private final String hint;

    Reason(String hint) {
      this.hint = hint;
    }

    /**
     * What to do about it.
     *
     * @return a short instruction naming the settings to check
     */
    public String hint() {
      return hint;
    }
  }

  /** Why the connection failed. */
  private final Reason reason;

  private DatabaseConnectionException(String message, Reason reason, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /**
   * Why the connection failed.
   *
   * @return the reason, which selects the hint at the end of the message
   */
  public Reason reason() {
    return reason;
  }

  /**
   * Finds a failure to connect in {@code failure} (its causes and chained SQL exceptions, e.g. the
   * driver's exception a pool keeps as the cause of its timeout) and explains it.
   *
   * @param failure what a connection attempt or a pool threw
   * @param url the JDBC URL, shown without credentials; null when unknown (a caller's data source)
   * @param user the database user, or null when unknown
   * @param password the password, removed from the driver's message; null when unknown
   * @return the explanation, or empty when {@code failure} is not a failure to connect (e.g. a
   *     missing table on a working connection)
   */
  public static Optional<DatabaseConnectionException> find(
      Throwable failure, String url, String user, String password) {
    Reason reason = null;
    Throwable withReason = null;
    Throwable deepestSql = null;
    Throwable network = null;
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = failure; t != null && seen.put(t, true) == null; t = next(t)) {
      Reason r = reasonOf(t);
      if (r != null && (reason == null || r.ordinal() < reason.ordinal())) {
        reason = r;
      }
      if (r != null && withReason == null) {
        withReason = t;
      }
      if (r == Reason.UNREACHABLE && network == null) {
        network = t;
      }
      if (t instanceof SQLException) {
        deepestSql = t; // the driver's own exception, not a pool's wrapper of it
      }
    }
    if (reason == null) {
      return Optional.empty();
    }
    Throwable source = deepestSql != null ? deepestSql : withReason;
    String said = source.getMessage() == null ? source.toString() : source.getMessage();
    if (network != null && network != source) {
      String more = network.getMessage() == null ? "" : network.getMessage();
      if (network instanceof UnknownHostException) {
        said += " (unknown host " + more + ")";
      } else if (!said.contains(more)) {
        said += " (" + more + ")";
      }
    } else if (source instanceof UnknownHostException) {
      said = "unknown host " + said;
    }
    return Optional.of(
        new DatabaseConnectionException(
            message(url, user, password, said, reason), reason, failure));
  }

  /**
   * Explains a failed connection attempt: as {@link #find}, or with reason {@link Reason#OTHER} and
   * the failure's own message when it names no known reason.
   *
   * @param failure what the connection attempt threw
   * @param settings the settings used to connect
   * @return the explanation
   */
  public static DatabaseConnectionException explain(Throwable failure, DatabaseSettings settings) {
    return find(failure, settings)
        .orElseGet(
            () ->
                new DatabaseConnectionException(
                    message(
                        settings.url(),
                        settings.user(),
                        settings.password(),
                        String.valueOf(failure.getMessage()),
                        Reason.OTHER),
                    Reason.OTHER,
                    failure));
  }

  private static String message(
      String url, String user, String password, String said, Reason reason) {
    return "cannot connect to the database"
        + (url == null ? "" : " at " + DatabaseSettings.redactUrl(url))
        + (user == null ? "" : " as user " + user)
        + ": "
        + scrub(said, password).strip()
        + " → "
        + reason.hint();
  }

  /**
   * {@link #find} with the settings' URL, user and password.
   *
   * @param failure what a connection attempt or a pool threw
   * @param settings the settings used to connect
   * @return the explanation, or empty when {@code failure} is not a failure to connect
   */
  public static Optional<DatabaseConnectionException> find(
      Throwable failure, DatabaseSettings settings) {
    return find(failure, settings.url(), settings.user(), settings.password());
  }

  /**
   * What to say about a failure to get a connection from a data source whose settings are not known
   * (a caller's pool): the explanation of {@link #find}, else the failure's own message.
   *
   * @param failure what {@code getConnection()} threw
   * @return one line for an error message; never contains a password given in a URL
   */
  public static String describe(Throwable failure) {
    return find(failure, null, null, null)
        .map(Throwable::getMessage)
        .orElseGet(
            () ->
                "cannot connect to the database: "
                    + scrub(String.valueOf(failure.getMessage()), null));
  }

  private static Throwable next(Throwable t) {
    if (t instanceof SQLException s && s.getNextException() != null && t.getCause() == null) {
      return s.getNextException();
    }
    return t.getCause();
  }

  /** The reason a throwable names, or null when it names none. */
  private static Reason reasonOf(Throwable t) {
    if (t instanceof ConnectException
        || t instanceof NoRouteToHostException
        || t instanceof UnknownHostException
        || t instanceof SocketTimeoutException) {
      return Reason.UNREACHABLE;
    }
    if (t instanceof EOFException || t instanceof SocketException) {
      // the server took the connection and closed it during the handshake: it is going down or
      // coming up (PostgreSQL during a restart); a reset or closed socket, not a refused one
      return Reason.UNAVAILABLE;
    }
    if (!(t instanceof SQLException s) || s.getSQLState() == null) {
      return null;
    }
    String state = s.getSQLState();
    int code = s.getErrorCode();
    if (state.startsWith("28") || code == 1044 || code == 1045 || code == 1698) {
      return Reason.AUTHENTICATION; // 28xxx; MySQL/MariaDB access denied
    }
    if (state.equals("3D000") || code == 1049) {
      return Reason.UNKNOWN_DATABASE; // PostgreSQL invalid_catalog_name; MySQL/MariaDB 1049
    }
    if (state.startsWith("57P") || code == 1053) {
      return Reason.UNAVAILABLE; // PostgreSQL admin/crash shutdown, cannot connect now; MySQL 1053
    }
    if (state.startsWith("08")) {
      return Reason.OTHER; // a connection exception: the cause may say more (refused, unknown)
    }
    return null;
  }

  /** The driver's message without the password (or anything shaped like one in a URL). */
  private static String scrub(String text, String password) {
    String out = DatabaseSettings.redactUrl(text);
    if (password != null && password.length() >= 3) {
      out = out.replace(password, "***");
    }
    return out;
  }
}
