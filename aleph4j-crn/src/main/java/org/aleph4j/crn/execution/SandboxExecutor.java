package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code sandbox} executor: the watchdog enters the execution's own network namespace and
 * starts bubblewrap, which gives the program new mount, PID, IPC, UTS and cgroup namespaces with a
 * read-only view of /usr (and the /bin, /lib* links), a minimal generated /etc, its code read-only
 * at /opt/code (where upstream programs look for it, and their working directory), its private,
 * size-limited work directory at /data ({@code HOME}) and /tmp, and nothing else of the host.
 * bwrap runs as root (with an empty environment) to build the mounts; the program itself runs
 * through {@code setpriv} as its execution's own uid (from {@link UidPool}) with no capabilities and
 * no_new_privs, under a seccomp filter, and only its last exec ({@code env -i}) gets the message's
 * variables. No user namespace: bwrap would map the sandbox user to root outside, which is weaker
 * than a real unprivileged uid.
 *
 * <p>Chain: watchdog (host, in the cgroups) → bwrap (--die-with-parent) → pid-1 reaper → setpriv →
 * env → program. When the watchdog kills the execution's cgroups and bwrap's process group, the
 * namespace's init dies and the kernel kills every process of the sandbox; {@link #release} also
 * kills whatever is left in the cgroups.
 *
 * <p>Every execution's namespace and veth are recorded in {@code <run>/<id>.sandbox} until released,
 * so a restarted node removes what a crashed one left behind.
 */
public final class SandboxExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SandboxExecutor.class);
    /** The file descriptor the watchdog hands the seccomp filter to bwrap on (see watchdog.py). */
    private static final int SECCOMP_FD = 10;
    /** Where upstream programs find their code (its examples {@code cd /opt/code}): also the program's working directory. */
    static final Path CODE = Path.of("/opt/code");
    private static final Path DATA = Path.of("/data");
    private static final Path TMP = Path.of("/tmp");
    private static final List<String> ETC_FROM_HOST = List.of("ssl", "ca-certificates", "alternatives", "ld.so.cache",
            "ld.so.conf", "ld.so.conf.d", "localtime", "mime.types", "protocols", "services");

    /** Whether this host can run the sandbox, and why not. */
    public record Support(boolean usable, String reason, String bwrap, String ip, String setpriv, String iptables) {}

    /** The seccomp filter every sandboxed program runs under, compiled once per node. */
    private final Path seccompFilter;

    private final ProcessExecutor launcher;
    private final Cgroups cgroups;
    private final SandboxNetwork network;
    private final EgressPolicy egress;
    private final Support support;
    private final Path runDir;
    private final Path boxesDir;
    private final Set<String> readableCode = ConcurrentHashMap.newKeySet();
    /**
     * Host-wide registry of live sandboxes (tmpfs, like /run/netns): one file per namespace naming its
     * owner process, so any node starting on this host removes sandboxes of nodes that died without
     * restarting on their data dir (a test JVM killed, a node moved).
     */
    private final Path registry = Path.of("/run/aleph4j-sandbox");
    private final String owner = ownerTag(ProcessHandle.current());
    /** Executions started in a warm slot: execution id → slot id, whose sandbox, uid and cgroups they use. */
    private final Map<String, String> assigned = new ConcurrentHashMap<>();
    /** What /about reports of the warm pool, when the node has one. */
    private volatile java.util.function.Supplier<Map<String, Object>> warmPool;

    public SandboxExecutor(ProcessExecutor launcher, Support support, Path dataDir) {
        this(launcher, support, dataDir, EgressPolicy.DEFAULT);
    }

    /** @param egress what programs with internet may reach beyond the always-denied ranges (operator config) */
    public SandboxExecutor(ProcessExecutor launcher, Support support, Path dataDir, EgressPolicy egress) {
        if (!support.usable()) throw new IllegalStateException("sandbox executor unavailable: " + support.reason());
        this.launcher = launcher;
        this.cgroups = launcher.cgroups();
        this.support = support;
        this.egress = egress;
        this.network = new SandboxNetwork(support.ip(), support.iptables(), HostTools.which("nft"), egress,
                SandboxNetwork.DEFAULT_STATE_DIR);
        this.runDir = dataDir.resolve("run");
        this.boxesDir = dataDir.resolve("sandbox");
        if (launcher.uids() == null) throw new IllegalStateException("sandbox executor needs root for per-execution users");
        try {
            Files.createDirectories(runDir);
            Files.createDirectories(boxesDir);
            Files.createDirectories(registry);
            this.seccompFilter = SeccompFilter.compile(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        network.prepareHost();
    }

    /** Checks what the sandbox needs: root, bwrap, setpriv, ip with usable network namespaces, writable cgroups. */
    public static Support probe(Cgroups cgroups) {
        String bwrap = HostTools.which("bwrap");
        String ip = HostTools.which("ip");
        String setpriv = HostTools.which("setpriv");
        String iptables = HostTools.which("iptables");
        String why = null;
        if (!isRoot()) why = "the node does not run as root";
        else if (bwrap == null) why = "bubblewrap (bwrap) is not installed";
        else if (setpriv == null) why = "setpriv is not installed";
        else if (ip == null) why = "iproute2 (ip) is not installed";
        else if (!cgroups.enforced()) why = "cgroups are not writable: " + cgroups.description();
        else if (!SeccompFilter.available()) why = "python3-seccomp is not installed (the sandbox's seccomp filter needs it)";
        else {
            String probe = "a4j-probe-" + ProcessHandle.current().pid();
            SandboxNetwork n = new SandboxNetwork(ip, null);
            if (HostTools.exitCode(List.of(ip, "netns", "add", probe)) != 0) why = "network namespaces are not usable (ip netns add failed)";
            HostTools.exitCode(List.of(ip, "netns", "del", probe));
        }
        return new Support(why == null, why == null ? "root, bwrap, netns and cgroups available" : why, bwrap, ip, setpriv, iptables);
    }

    private static boolean isRoot() {
        return HostFiles.isRoot();
    }

    @Override
    public String name() {
        return "sandbox";
    }

    @Override
    public Cgroups cgroups() {
        return cgroups;
    }

    @Override
    public View view(Path codeDir, Path workDir) {
        return new View(CODE, DATA, TMP, "0.0.0.0", SandboxNetwork.PROGRAM_PORT);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name());
        m.put("isolation", "bubblewrap: mount, pid, ipc, uts, cgroup and network namespaces; a uid per execution"
                + " (from " + UidPool.BASE + "), no capabilities, no_new_privs, seccomp filter; code read-only at /opt/code (cwd),"
                + " private size-limited /data and /tmp");
        m.put("network", "own network namespace per execution, veth 10.213.0.0/16 (/30 each), program port "
                + SandboxNetwork.PROGRAM_PORT);
        m.put("internet", network.natAvailable());
        if (!network.natAvailable()) m.put("internet_unavailable_reason", "no NAT tool (nft or iptables) on this node");
        var pool = warmPool;
        if (pool != null) m.put("warm_pool", pool.get());
        return m;
    }

    @Override
    public boolean mountsVolumes() {
        return true;
    }

    @Override
    public WatchedProcess spawn(Spec spec) {
        String id = spec.executionId();
        if (spec.codeDir() == null) throw new IllegalArgumentException("the sandbox needs the program's code directory");
        // checked before anything is allocated: a bad variable changes nothing on the node
        LaunchCommand.withEnvironment(spec.env(), spec.command());
        long t0 = System.nanoTime();
        SandboxNetwork.Lease lease = network.allocate(spec.internet(), registry, String.join(" ", owner, id, "{hostIf}",
                cgroups.root().toString(), cgroups.parent()) + "\n");
        try {
            Files.writeString(runDir.resolve(id + ".sandbox"), lease.netns() + " " + lease.hostIf() + "\n");
            int uid = launcher.uids().allocate(id);
            long t1 = System.nanoTime();
            network.configure(lease);
            long t2 = System.nanoTime();
            Path etc = writeEtc(boxesDir.resolve(id).resolve("etc"), lease, uid, egress, hostname(spec));
            Path tmp = spec.workDir().resolve("tmp");
            Files.createDirectories(tmp);
            HostFiles.chownTree(spec.workDir(), uid);
            for (Mount m : spec.mounts()) {
                if (!m.readOnly()) HostFiles.chownTree(m.source(), uid); // the volume is the program user's
                mountPointInWorkDir(m, spec.workDir(), tmp);
            }
            HostFiles.makeReadableOnce(readableCode, spec.codeDir());
            List<String> cmd = bwrapCommand(spec, etc, tmp, uid);
            long t3 = System.nanoTime();
            WatchedProcess p = launcher.launch(spec, cmd, List.of("--netns", Path.of("/run/netns", lease.netns()).toString(),
                    "--seccomp", seccompFilter.toString()), lease.programIp(), runDir);
            log.debug("sandbox of {}: netns and uid {} ms, veth/addresses/nft {} ms, /etc and files {} ms,"
                    + " cgroups, watchdog and bwrap up to the program's exec {} ms", id, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                    (t3 - t2) / 1_000_000, (System.nanoTime() - t3) / 1_000_000);
            return p;
        } catch (IOException | RuntimeException e) {
            release(id);
            if (e instanceof CrnException c) throw c;
            throw new CrnException(500, "cannot set up the sandbox: " + e.getMessage());
        }
    }

    private List<String> bwrapCommand(Spec spec, Path etc, Path tmp, int uid) throws IOException {
        List<String> c = new ArrayList<>(List.of(support.bwrap(), "--die-with-parent", "--new-session", "--clearenv",
                "--seccomp", Integer.toString(SECCOMP_FD), "--unshare-pid", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try", "--hostname", hostname(spec), "--ro-bind", "/usr", "/usr"));
        for (String d : List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32")) {
            Path p = Path.of("/", d);
            if (Files.isSymbolicLink(p)) c.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), p.toString()));
            else if (Files.isDirectory(p)) c.addAll(List.of("--ro-bind", p.toString(), p.toString()));
        }
        c.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--dir", "/etc"));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(etc)) {
            for (Path f : ds) c.addAll(List.of("--ro-bind", f.toString(), "/etc/" + f.getFileName()));
        }
        List<String> fromHost = new ArrayList<>(ETC_FROM_HOST);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/etc"), "python3*")) {
            for (Path f : ds) fromHost.add(f.getFileName().toString());
        }
        for (String name : fromHost) c.addAll(List.of("--ro-bind-try", "/etc/" + name, "/etc/" + name));
        // the mount point's parent (/opt) traversable by the program's user whatever the umask bwrap inherits
        c.addAll(List.of("--perms", "0755", "--dir", CODE.getParent().toString()));
        c.addAll(List.of("--ro-bind", spec.codeDir().toString(), CODE.toString(),
                "--bind", spec.workDir().toString(), DATA.toString(),
                "--bind", tmp.toString(), TMP.toString()));
        // volumes last: one at /data or under /tmp replaces what is there (mount points were checked before)
        // their new parents (/mnt, /srv, ...) traversable by the program's user, as /opt above
        java.util.Set<Path> parents = new java.util.LinkedHashSet<>();
        for (Mount m : spec.mounts()) {
            Path target = Path.of(m.target());
            for (int i = 1; i < target.getNameCount(); i++) {
                Path parent = target.getRoot().resolve(target.subpath(0, i));
                if (!parent.startsWith(DATA) && !parent.startsWith(TMP)) parents.add(parent);
            }
        }
        for (Path parent : parents) c.addAll(List.of("--perms", "0755", "--dir", parent.toString()));
        for (Mount m : spec.mounts()) c.addAll(List.of(m.readOnly() ? "--ro-bind" : "--bind", m.source().toString(), m.target()));
        c.addAll(List.of("--chdir", CODE.toString(), "--"));
        c.addAll(LaunchCommand.dropPrivileges(uid));
        c.addAll(LaunchCommand.withEnvironment(spec.env(), spec.command()));
        return c;
    }

    /**
     * A volume mounted inside /data or /tmp lands in the execution's own work directory, which the
     * program wrote during an earlier run: bwrap builds its mounts before it pivots into the sandbox,
     * so a symbolic link planted on the way would be followed on the host's side. Every component is
     * made a real directory (the last one a file for a single-file volume), links removed, as root.
     */
    static void mountPointInWorkDir(Mount m, Path work, Path tmp) throws IOException {
        Path target = Path.of(m.target());
        Path base;
        Path rel;
        if (target.startsWith(TMP) && !target.equals(TMP)) {
            base = tmp;
            rel = TMP.relativize(target);
        } else if (target.startsWith(DATA) && !target.equals(DATA)) {
            base = work;
            rel = DATA.relativize(target);
        } else {
            return;
        }
        Path at = base;
        for (int i = 0; i < rel.getNameCount(); i++) {
            at = at.resolve(rel.getName(i));
            boolean last = i == rel.getNameCount() - 1;
            if (Files.isSymbolicLink(at) || (Files.exists(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && (last && m.file() ? !Files.isRegularFile(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    : !Files.isDirectory(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)))) {
                HostFiles.deleteTree(at);
            }
            if (!Files.exists(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (last && m.file()) Files.createFile(at);
                else Files.createDirectory(at);
            }
        }
    }

    /** A minimal /etc of the execution: users, name resolution; no secrets of the host. */
    /**
     * Upstream's host name of a program, base32 of its item hash ({@code ALEPH_ADDRESS_TO_USE}, set by
     * the node, never by the message); {@code aleph} for a spec without it (tools, tests).
     */
    static String hostname(Spec spec) {
        String h = spec.env().get("ALEPH_ADDRESS_TO_USE");
        return h != null && h.matches("[a-z2-7]{1,63}") ? h : "aleph";
    }

    private static Path writeEtc(Path etc, SandboxNetwork.Lease lease, int uid, EgressPolicy egress, String hostname)
            throws IOException {
        Files.createDirectories(etc);
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                + "aleph:x:" + uid + ":" + uid + ":aleph program:/data:/usr/sbin/nologin\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\naleph:x:" + uid + ":\n");
        Files.writeString(etc.resolve("hostname"), hostname + "\n");
        Files.writeString(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost\n" + lease.programIp() + "\t" + hostname + "\n");
        Files.writeString(etc.resolve("nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
        String resolv = "# no internet access for this program\n";
        if (lease.internet()) {
            StringBuilder sb = new StringBuilder();
            try {
                for (String l : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                    // a resolver on the host's loopback is not reachable from the program's namespace
                    // only resolvers the program may reach: not the host's loopback, nor private ranges the filter denies
                    String[] w = l.strip().split("\\s+");
                    if (w.length >= 2 && w[0].equals("nameserver") && egress.permits(w[1])) sb.append("nameserver ").append(w[1]).append('\n');
                }
            } catch (IOException ignored) {
                // public resolvers below
            }
            resolv = sb.isEmpty() ? "nameserver 9.9.9.9\nnameserver 1.1.1.1\n" : sb.toString();
        }
        Files.writeString(etc.resolve("resolv.conf"), resolv);
        return etc;
    }

    /**
     * A warm slot: a sandbox built as {@link #spawn} builds one, for a program not known yet — its
     * own network namespace (no internet yet), uid, cgroups, generated /etc (host name {@code aleph}),
     * an empty code directory of its own bound read-only at /opt/code, its work directory at /data
     * and /tmp — running {@code command} (the warm runner) with {@code env}.
     */
    record WarmSlot(String id, SandboxNetwork.Lease lease, int uid, Path etc, Path code, Path work, WatchedProcess process) {}

    WarmSlot warm(String slotId, List<String> command, Map<String, String> env, Path work, Path stdout, Path stderr,
                  int memoryMiB) {
        SandboxNetwork.Lease lease = network.allocate(false, registry, String.join(" ", owner, slotId, "{hostIf}",
                cgroups.root().toString(), cgroups.parent()) + "\n");
        try {
            Files.writeString(runDir.resolve(slotId + ".sandbox"), lease.netns() + " " + lease.hostIf() + "\n");
            int uid = launcher.uids().allocate(slotId);
            network.configure(lease);
            Path box = boxesDir.resolve(slotId);
            Path etc = writeEtc(box.resolve("etc"), lease, uid, egress, "aleph");
            // root's, empty until the slot is given a program: nothing of the slot can write it
            Path code = Files.createDirectories(box.resolve("code"));
            Files.setPosixFilePermissions(code, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path tmp = work.resolve("tmp");
            Files.createDirectories(tmp);
            HostFiles.chownTree(work, uid);
            Spec spec = new Spec(slotId, command, work, env, stdout, stderr, SandboxNetwork.PROGRAM_PORT, memoryMiB, 1,
                    null, code, false);
            List<String> cmd = bwrapCommand(spec, etc, tmp, uid);
            WatchedProcess p = launcher.launch(spec, cmd, List.of("--netns", Path.of("/run/netns", lease.netns()).toString(),
                    "--seccomp", seccompFilter.toString(), "--warm"), lease.programIp(), runDir);
            return new WarmSlot(slotId, lease, uid, etc, code, work, p);
        } catch (IOException | RuntimeException e) {
            release(slotId);
            if (e instanceof CrnException c) throw c;
            throw new CrnException(500, "cannot set up a warm slot: " + e.getMessage());
        }
    }

    /** Whether a program with internet can be given a warm slot (see {@link SandboxNetwork#grantsInternetLater}). */
    boolean warmSlotsGrantInternet() {
        return network.grantsInternetLater();
    }

    /**
     * Gives {@code slot} the program of {@code spec}, in this order, before anything of the program
     * runs: its cgroup limits, its internet and egress rules, its /etc (host name, hosts, resolvers),
     * its code (linked, else copied, into the slot's own code directory); then, through the slot's
     * watchdog, the UTS host name (the slot was made with {@code aleph}), its log files, and its environment and command line ({@code python3 -m uvicorn ...}) to the warm runner. The execution keeps the slot's resources until {@link #release}.
     */
    WatchedProcess assign(WarmSlot slot, Spec spec) {
        if (!spec.mounts().isEmpty() || spec.codeDir() == null) throw new IllegalArgumentException("not a warm slot's program");
        LaunchCommand.checkVariables(spec.env());
        assigned.put(spec.executionId(), slot.id());
        try {
            cgroups.limit(slot.id(), spec.memoryMiB(), spec.vcpus());
            SandboxNetwork.Lease lease = slot.lease();
            if (spec.internet() && network.natAvailable()) {
                lease = new SandboxNetwork.Lease(lease.slot(), lease.netns(), lease.hostIf(), lease.hostIp(), lease.programIp(), true);
                network.grantInternet(lease);
            }
            String hostname = hostname(spec);
            writeEtc(slot.etc(), lease, slot.uid(), egress, hostname);
            HostFiles.makeReadableOnce(readableCode, spec.codeDir());
            linkTree(spec.codeDir(), slot.code());
            var json = Json.MAPPER.createObjectNode();
            var env = json.putObject("env");
            new java.util.TreeMap<>(spec.env()).forEach(env::put);
            var a = json.putArray("argv");
            spec.command().forEach(a::add);
            byte[] job = Json.MAPPER.writeValueAsBytes(json);
            // in this order, the watchdog acting on each before reading the next: a host name it cannot set kills the slot
            if (!slot.process().send("hostname " + hex(hostname.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                    || !slot.process().send("logs " + hex(spec.stdout().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    + " " + hex(spec.stderr().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    || !slot.process().send("assign " + hex(job))) {
                throw new CrnException(502, "the warm slot's watchdog is gone");
            }
            return slot.process();
        } catch (IOException | RuntimeException e) {
            slot.process().kill();
            release(spec.executionId());
            if (e instanceof CrnException c) throw c;
            throw new CrnException(500, "cannot give the warm slot its program: " + e.getMessage());
        }
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    /** Hard links of {@code from}'s files (copies across file systems), its directories and symbolic links recreated, in {@code to}. */
    static void linkTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path src : (Iterable<Path>) walk::iterator) {
                Path dst = to.resolve(from.relativize(src).toString());
                if (src.equals(from)) continue;
                if (Files.isSymbolicLink(src)) {
                    Files.createSymbolicLink(dst, Files.readSymbolicLink(src));
                } else if (Files.isDirectory(src, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(dst);
                    Files.setPosixFilePermissions(dst, Files.getPosixFilePermissions(src));
                } else if (Files.isRegularFile(src, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.createLink(dst, src);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(src, dst, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    }
                }
            }
        }
    }

    /** Makes /about report the warm pool. */
    void reportWarmPool(java.util.function.Supplier<Map<String, Object>> pool) {
        this.warmPool = pool;
    }

    @Override
    public boolean oomKilled(String executionId) {
        return cgroups.oomKilled(assigned.getOrDefault(executionId, executionId));
    }

    @Override
    public void release(String executionId) {
        String slot = assigned.remove(executionId);
        if (slot != null) executionId = slot;
        cgroups.killAndRemove(executionId);
        launcher.uids().release(executionId);
        Path record = runDir.resolve(executionId + ".sandbox");
        try {
            if (Files.exists(record)) {
                String[] parts = Files.readString(record).strip().split("\\s+");
                if (parts.length >= 2) {
                    network.free(parts[0], parts[1]);
                    Files.deleteIfExists(registry.resolve(parts[0]));
                }
            }
            deleteTree(boxesDir.resolve(executionId));
            Files.deleteIfExists(record);
        } catch (IOException e) {
            log.warn("sandbox of {} not fully released: {}", executionId, e.toString());
        }
    }

    /** Puts back what the sandboxes changed host-wide (nft tables, ip_forward, rules) when this is the last node using them. */
    @Override
    public void close() {
        network.close();
    }

    @Override
    public int cleanLeftovers() {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir, "*.sandbox")) {
            for (Path f : ds) {
                String id = f.getFileName().toString().replaceFirst("\\.sandbox$", "");
                log.info("removing sandbox leftovers of execution {} (previous run)", id);
                release(id);
                n++;
            }
        } catch (IOException e) {
            log.warn("cannot scan {} for sandbox leftovers: {}", runDir, e.toString());
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(boxesDir)) {
            for (Path d : ds) deleteTree(d);
        } catch (IOException ignored) {
            // best effort
        }
        return n + cleanOrphans() + launcher.uids().reclaimOrphans();
    }

    /** "pid:startMillis" of a process: a pid alone may be reused. */
    private static String ownerTag(ProcessHandle p) {
        return p.pid() + ":" + p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    /** Releases sandboxes in the host registry whose owning node process is gone. */
    private int cleanOrphans() {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(registry, "a4j-*")) {
            for (Path f : ds) {
                try {
                    String[] p = Files.readString(f).strip().split("\\s+");
                    if (p.length < 5) continue;
                    long pid = Long.parseLong(p[0].substring(0, p[0].indexOf(':')));
                    boolean alive = ProcessHandle.of(pid).map(h -> ownerTag(h).equals(p[0])).orElse(false);
                    if (alive) continue;
                    log.info("removing orphaned sandbox {} of execution {} (its node {} is gone)", f.getFileName(), p[1], p[0]);
                    Path root = Path.of(p[3]);
                    // constructing Cgroups creates the parent: only when it still exists
                    if (Files.isDirectory(root.resolve(p[4])) || Files.isDirectory(root.resolve("memory").resolve(p[4]))) {
                        new Cgroups(root, p[4]).killAndRemove(p[1]);
                    }
                    network.free(f.getFileName().toString(), p[2]);
                    Files.deleteIfExists(f);
                    n++;
                } catch (IOException | RuntimeException e) {
                    log.warn("cannot clean orphaned sandbox {}: {}", f, e.toString());
                }
            }
        } catch (IOException e) {
            log.warn("cannot scan {}: {}", registry, e.toString());
        }
        return n;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
