package org.aleph4j.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay in front of the CCN that can slow every byte it carries (connections already open
 * included, since HTTP clients reuse them): the CRNs reach the CCN through it, so the fault suite
 * can make a code download last longer than a lease.
 */
final class ThrottlingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile long bytesPerSecond; // 0: full speed
    private volatile boolean cut;

    ThrottlingProxy(String bindHost, int port, InetSocketAddress target) throws IOException {
        this.server = new ServerSocket(port, 100, InetAddress.getByName(bindHost));
        this.target = target;
        Thread.ofVirtual().name("throttling-proxy").start(this::accept);
    }

    /** Slows each direction of each connection to {@code bytesPerSecond}; 0 lifts the limit. */
    void throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** While cut, every connection is closed at once (the open ones too): the target is unreachable through the relay. */
    void cut(boolean cut) {
        this.cut = cut;
        if (cut) open.forEach(ThrottlingProxy::closeQuietly);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket();
                upstream.connect(target, 5000);
                open.add(client);
                open.add(upstream);
                Thread.ofVirtual().start(() -> pump(client, upstream));
                Thread.ofVirtual().start(() -> pump(upstream, client));
            } catch (IOException e) {
                if (server.isClosed()) return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[4096];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                long rate = bytesPerSecond;
                if (rate > 0) {
                    // a chunk at a time at the set rate: never faster, whatever the chunk size
                    for (int off = 0; off < n; off += 512) {
                        int len = Math.min(512, n - off);
                        out.write(buf, off, len);
                        out.flush();
                        LockSupport.parkNanos(len * 1_000_000_000L / rate);
                    }
                } else {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // one side closed: close both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        open.forEach(ThrottlingProxy::closeQuietly);
    }
}
