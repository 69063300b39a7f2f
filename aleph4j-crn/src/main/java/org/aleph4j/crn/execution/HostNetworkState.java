package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The host-wide settings the sandbox network changes, as they were before the first node on this
 * host changed them, and who still needs them. Several CRN processes (and several nodes in one JVM)
 * share one host: each {@link #join}s with a holder file named after its process, and only the last
 * one to {@link #leave} gets the original settings back to restore. Holders of dead processes are
 * pruned, so a crashed node does not pin the settings forever, and the originals stay recorded
 * until someone restores them.
 *
 * <p>Files in {@code dir} (tmpfs, like the settings themselves, so a reboot clears both):
 * {@code host-state} (key=value lines), {@code holders/<pid>:<start>:<n>}, {@code host.lock}.
 */
final class HostNetworkState {
    /** What the host had before: the forwarding sysctl, the local lookup rule and whether our nft tables already existed. */
    record Original(String ipForward, boolean localRulePref0, boolean localRulePref1000, boolean filterTableExisted,
                    boolean natTableExisted) {}

    // FileLock is per process: threads of one JVM (several nodes in tests) serialise here first
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final Path dir;
    private final Path holders;
    private final String holder;

    HostNetworkState(Path dir) {
        this.dir = dir;
        this.holders = dir.resolve("holders");
        ProcessHandle self = ProcessHandle.current();
        this.holder = self.pid() + ":" + startMillis(self) + ":" + INSTANCES.incrementAndGet();
    }

    /** Registers this holder; records {@code current} as the original settings when nobody did yet. Returns the originals. */
    Original join(Supplier<Original> current, Consumer<Original> prepare) {
        return locked(() -> {
            Files.createDirectories(holders);
            pruneDead();
            Path state = dir.resolve("host-state");
            Original o = read(state).orElse(null);
            if (o == null) {
                o = current.get();
                write(state, o);
            }
            Files.writeString(holders.resolve(holder), "");
            prepare.accept(o);
            return o;
        });
    }

    /**
     * Unregisters this holder. When no live holder is left and {@code inUse} says no sandbox
     * remains, runs {@code restore} with the originals (under the lock, so no node joins halfway)
     * and forgets them; returns whether it did.
     */
    boolean leave(BooleanSupplier inUse, Consumer<Original> restore) {
        return locked(() -> {
            Files.deleteIfExists(holders.resolve(holder));
            pruneDead();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(holders)) {
                if (ds.iterator().hasNext()) return false;
            } catch (java.nio.file.NoSuchFileException e) {
                // nobody joined
            }
            if (inUse.getAsBoolean()) return false;
            Path state = dir.resolve("host-state");
            Optional<Original> o = read(state);
            if (o.isEmpty()) return false;
            restore.accept(o.get());
            Files.deleteIfExists(state);
            return true;
        });
    }

    private interface Io<T> {
        T get() throws IOException;
    }

    private <T> T locked(Io<T> body) {
        IN_PROCESS.lock();
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(dir.resolve("host.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                return body.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    private void pruneDead() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(holders)) {
            for (Path f : ds) {
                if (!alive(f.getFileName().toString())) Files.deleteIfExists(f);
            }
        } catch (java.nio.file.NoSuchFileException ignored) {
            // none yet
        }
    }

    /** A holder is alive while a process with its pid and start time runs (a pid alone may be reused). */
    static boolean alive(String holder) {
        String[] p = holder.split(":");
        if (p.length != 3) return false;
        try {
            long pid = Long.parseLong(p[0]);
            return ProcessHandle.of(pid).map(h -> Long.toString(startMillis(h)).equals(p[1])).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    static Optional<Original> read(Path state) throws IOException {
        if (!Files.exists(state)) return Optional.empty();
        Map<String, String> kv = new LinkedHashMap<>();
        for (String l : Files.readAllLines(state)) {
            int i = l.indexOf('=');
            if (i > 0) kv.put(l.substring(0, i).strip(), l.substring(i + 1).strip());
        }
        String fwd = kv.getOrDefault("ip_forward", "");
        if (!fwd.equals("0") && !fwd.equals("1")) return Optional.empty(); // unreadable: nothing trustworthy to restore
        return Optional.of(new Original(fwd, Boolean.parseBoolean(kv.get("local_rule_pref0")),
                Boolean.parseBoolean(kv.get("local_rule_pref1000")), Boolean.parseBoolean(kv.get("filter_table_existed")),
                Boolean.parseBoolean(kv.get("nat_table_existed"))));
    }

    private static void write(Path state, Original o) throws IOException {
        Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
        Files.writeString(tmp, "ip_forward=" + o.ipForward() + "\nlocal_rule_pref0=" + o.localRulePref0()
                + "\nlocal_rule_pref1000=" + o.localRulePref1000() + "\nfilter_table_existed=" + o.filterTableExisted()
                + "\nnat_table_existed=" + o.natTableExisted() + "\n");
        Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
