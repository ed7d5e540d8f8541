package dev.waybill.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and one server certificate it signed, made by the test JDK's
 * own {@code keytool} (run as a process) in a new directory: {@code ca.p12} (the CA's key pair),
 * {@code server.p12} (the server's key pair with the chain to the CA; subject alternative names
 * {@code 127.0.0.1} and {@code localhost}, so clients verify the host name) and {@code
 * truststore.p12} (the CA certificate only). All are PKCS12 with the same random password. The
 * certificates are valid for two days. Not for production: the password sits in memory in clear.
 *
 * @param directory where the files are
 * @param password the password of every store and key
 */
record TestCertificates(Path directory, String password) {

  /** The server's key store (key pair and chain), for the broker's {@code ssl.keystore.*}. */
  Path serverKeystore() {
    return directory.resolve("server.p12");
  }

  /** The trust store holding the CA certificate, for the clients' {@code ssl.truststore.*}. */
  Path truststore() {
    return directory.resolve("truststore.p12");
  }

  /**
   * Makes a CA, a server key pair signed by it and a trust store in {@code directory} (created).
   *
   * @throws IllegalStateException when keytool fails, with its output
   */
  static TestCertificates create(Path directory) {
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("could not create " + directory, e);
    }
    TestCertificates certificates = new TestCertificates(directory, Names.hex(12));
    certificates.make();
    return certificates;
  }

  private void make() {
    String ca = directory.resolve("ca.p12").toString();
    String server = serverKeystore().toString();
    String caCert = directory.resolve("ca.crt").toString();
    String csr = directory.resolve("server.csr").toString();
    String serverCert = directory.resolve("server.crt").toString();
    keytool(ca, "-genkeypair", "-alias", "ca", "-dname", "CN=waybill-test-ca", "-ext", "bc:c");
    keytool(ca, "-exportcert", "-alias", "ca", "-rfc", "-file", caCert);
    keytool(server, "-genkeypair", "-alias", "server", "-dname", "CN=localhost");
    keytool(server, "-certreq", "-alias", "server", "-file", csr);
    keytool(
        ca,
        "-gencert",
        "-alias",
        "ca",
        "-rfc",
        "-infile",
        csr,
        "-outfile",
        serverCert,
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-ext",
        "EKU=serverAuth");
    keytool(server, "-importcert", "-alias", "ca", "-file", caCert, "-noprompt");
    keytool(server, "-importcert", "-alias", "server", "-file", serverCert);
    keytool(truststore().toString(), "-importcert", "-alias", "ca", "-file", caCert, "-noprompt");
  }

  /** A keytool command on {@code store} with the options every command here shares. */
  private void keytool(String store, String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(
        List.of("-keystore", store, "-storetype", "PKCS12", "-storepass", password, "-keypass"));
    args.add(password);
    if (command[0].equals("-genkeypair")) {
      args.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1"));
    }
    if (command[0].equals("-genkeypair") || command[0].equals("-gencert")) {
      args.addAll(List.of("-validity", "2"));
    }
    run(args);
  }

  private void run(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(args);
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .directory(directory.toFile())
              .start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("keytool " + args.get(0) + " did not finish in 60 s");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "keytool "
                + args.get(0)
                + " failed with status "
                + process.exitValue()
                + ": "
                + output.replace(password, "***"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not run keytool from " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }
}
