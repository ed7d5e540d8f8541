package dev.waybill.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy against a small echo server on 127.0.0.1. */
class TcpProxyTest {
  private ServerSocket echo;
  private TcpProxy proxy;

  @BeforeEach
  void startEchoServerAndProxy() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread c =
                      new Thread(
                          () -> {
                            try (s) {
                              s.getInputStream().transferTo(s.getOutputStream());
                            } catch (IOException e) {
                              // reset by the proxy
                            }
                          });
                  c.setDaemon(true);
                  c.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(proxy.host(), proxy.port()), 2_000);
    s.setSoTimeout(2_000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes());
    out.flush();
    InputStream in = s.getInputStream();
    byte[] buffer = new byte[text.length()];
    int read = 0;
    while (read < buffer.length) {
      int n = in.read(buffer, read, buffer.length - read);
      if (n < 0) {
        throw new IOException("end of stream");
      }
      read += n;
    }
    return new String(buffer);
  }

  @Test
  void forwardsBytesBothWays() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(proxy.openConnections()).isEqualTo(1);
    }
  }

  @Test
  void aFrozenProxyHoldsTheBytesAndKeepsTheConnectionUntilThawed() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "a")).isEqualTo("a");
      proxy.freeze();
      s.setSoTimeout(500);
      s.getOutputStream().write("held".getBytes());
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(s.isClosed()).isFalse();
      proxy.thaw();
      s.setSoTimeout(2_000);
      byte[] got = s.getInputStream().readNBytes(4);
      assertThat(new String(got)).isEqualTo("held");
    }
  }

  @Test
  void cutAllResetsOpenConnectionsAndAcceptsNewOnes() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "x")).isEqualTo("x");
      proxy.cutAll();
      assertThatThrownBy(() -> roundTrip(s, "y")).isInstanceOf(IOException.class);
    }
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "z")).isEqualTo("z");
    }
  }

  @Test
  void aProxyThatIsDownRefusesConnectionsUntilItIsUpAgainOnTheSamePort() throws IOException {
    int port = proxy.port();
    try (Socket s = connect()) {
      proxy.down();
      assertThat(proxy.isUp()).isFalse();
      assertThatThrownBy(() -> roundTrip(s, "y")).isInstanceOf(IOException.class);
    }
    assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);
    proxy.up();
    assertThat(proxy.port()).isEqualTo(port);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "back")).isEqualTo("back");
    }
  }
}
