package org.aleph4j.cli.program;

import org.aleph4j.cli.CliException;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What {@code aleph program upload} checks in the code before anything is signed or sent: the
 * directory holds files; the entrypoint is in it ({@code module:attr}: {@code module.py} or a
 * package {@code module/__init__.py}, dots as directories; a binary: a regular file, relative to
 * the code root — the CRN makes it executable, as upstream's init does); and its Python sources
 * compile. A {@code .zip}/squashfs file is checked by listing its entries. The compile check runs
 * the local {@code python3} with {@code compile()} only (no import, no user code run, no
 * {@code __pycache__} written) and is skipped with a note when there is no python3.
 */
final class CodeChecks {
    static final long PYTHON_TIMEOUT_S = 20;
    /** Enough for any program's own sources; a tree with more (a vendored virtualenv) is not compiled. */
    static final int MAX_COMPILED_FILES = 2000;

    // Compiles each file named on stdin; prints the first error as "path:line: message" and exits 1.
    private static final String COMPILER = String.join("\n",
            "import sys",
            "for p in sys.stdin.read().split('\\0'):",
            "    if not p: continue",
            "    try:",
            "        with open(p, 'rb') as f: compile(f.read(), p, 'exec', dont_inherit=True)",
            "    except SyntaxError as e:",
            "        print('%s:%s: %s' % (p, e.lineno, e.msg)); sys.exit(1)",
            "    except ValueError as e:",
            "        print('%s: %s' % (p, e)); sys.exit(1)");

    private CodeChecks() {
    }

    /** Fails with one line saying what to fix, or returns when the code looks runnable. */
    static void check(Path path, String entrypoint, Map<String, String> env, PrintStream err) throws IOException {
        if (Files.isDirectory(path)) checkDirectory(path, entrypoint, env, err);
        else if (Files.isRegularFile(path)) checkArchive(path, entrypoint, env, err);
    }

    static boolean isAsgi(String entrypoint) {
        return entrypoint.contains(":");
    }

    private static void checkDirectory(Path dir, String entrypoint, Map<String, String> env, PrintStream err) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        } catch (java.io.UncheckedIOException e) {
            throw new CliException("cannot read " + dir + ": " + e.getCause().getMessage() + " — make the code readable and upload again");
        }
        if (files.isEmpty()) throw CliException.usage(dir + " is empty — pass the directory that holds your code");
        Path root = dir.toRealPath();
        Set<String> names = new TreeSet<>();
        for (Path f : files) names.add(dir.relativize(f).toString().replace(File.separatorChar, '/'));
        if (isAsgi(entrypoint)) {
            requireModule(names, entrypoint, dir);
        } else {
            String rel = binaryPath(entrypoint);
            Path exe = dir.resolve(rel);
            boolean inside;
            try {
                inside = Files.isRegularFile(exe) && exe.toRealPath().startsWith(root);
            } catch (IOException e) {
                inside = false;
            }
            if (!inside) throw missingBinary(entrypoint, dir);
        }
        List<Path> sources = files.stream().filter(f -> f.getFileName().toString().endsWith(".py")).toList();
        compile(dir, sources, env, err);
    }

    private static void checkArchive(Path file, String entrypoint, Map<String, String> env, PrintStream err) throws IOException {
        Set<String> names = CodeArchive.isZip(file) && !CodeArchive.isSquashfs(file) ? zipEntries(file)
                : CodeArchive.isSquashfs(file) ? squashfsEntries(file, env, err) : null;
        if (names == null) return; // not listable here: the CRN will say.
        if (names.isEmpty()) throw CliException.usage(file + " holds no files — pack the directory that holds your code");
        if (isAsgi(entrypoint)) requireModule(names, entrypoint, file);
        else if (!names.contains(binaryPath(entrypoint))) throw missingBinary(entrypoint, file);
    }

    private static void requireModule(Set<String> names, String entrypoint, Path where) {
        String module = entrypoint.substring(0, entrypoint.indexOf(':')).strip();
        String base = module.replace('.', '/');
        if (names.contains(base + ".py") || names.contains(base + "/__init__.py") || names.contains(base + ".pyc")
                || names.stream().anyMatch(n -> n.startsWith(base + ".") && n.endsWith(".so") && n.indexOf('/', base.length()) < 0)) {
            return;
        }
        throw CliException.usage("entrypoint " + entrypoint + ": no module '" + module + "' in " + where + " (looked for "
                + base + ".py and " + base + "/__init__.py) — pass the module that defines your app, e.g. main:app for main.py");
    }

    /** A binary entrypoint as a path relative to the code root ({@code ./run.sh} is {@code run.sh}). */
    private static String binaryPath(String entrypoint) {
        if (entrypoint.startsWith("/")) {
            throw CliException.usage("entrypoint " + entrypoint + " must be a path inside your code, relative to it (e.g. run.sh)");
        }
        String p = entrypoint;
        while (p.startsWith("./")) p = p.substring(2);
        return p;
    }

    private static CliException missingBinary(String entrypoint, Path where) {
        return CliException.usage("entrypoint " + entrypoint + ": no such file in " + where
                + " — pass the program's executable relative to the code (e.g. run.sh), or module:app for a Python app");
    }

    private static Set<String> zipEntries(Path file) throws IOException {
        Set<String> names = new TreeSet<>();
        try (ZipFile z = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (!entry.isDirectory()) names.add(strip(entry.getName()));
            }
        }
        return names;
    }

    /** The files of a squashfs image from {@code unsquashfs -lc}; null (with a note) without unsquashfs. */
    private static Set<String> squashfsEntries(Path file, Map<String, String> env, PrintStream err) throws IOException {
        Path unsquashfs = CodeArchive.findOnPath("unsquashfs", env);
        if (unsquashfs == null) {
            err.println("Note: unsquashfs is not installed; the entrypoint inside " + file + " is not checked.");
            return null;
        }
        Process p = new ProcessBuilder(unsquashfs.toString(), "-lc", "-d", "", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(PYTHON_TIMEOUT_S, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new CliException(file + " is not a readable squashfs image — pack your code again (mksquashfs DIR FILE)");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while reading " + file);
        }
        Set<String> names = new TreeSet<>();
        // -lc lists files only (no directories), one per line, under the -d prefix ("" → "/name").
        for (String line : out.split("\n")) {
            String n = strip(line.strip());
            if (!n.isEmpty()) names.add(n);
        }
        return names;
    }

    private static String strip(String name) {
        String n = name;
        while (n.startsWith("/") || n.startsWith("./")) n = n.startsWith("/") ? n.substring(1) : n.substring(2);
        return n;
    }

    /** Compiles {@code sources} with the local python3; a syntax error fails with its file and line. */
    static void compile(Path dir, List<Path> sources, Map<String, String> env, PrintStream err) throws IOException {
        if (sources.isEmpty() || sources.size() > MAX_COMPILED_FILES) return;
        Path python = python(env);
        if (python == null) {
            err.println("Note: no python3 here, so the Python sources are not compiled before upload.");
            return;
        }
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-I", "-S", "-B", "-c", COMPILER));
        // -I -S: the code directory is not on sys.path and no site hooks run, so nothing of the user's is imported.
        {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            StringBuilder names = new StringBuilder();
            for (Path s : sources) names.append(dir.relativize(s)).append('\0');
            try (var in = p.getOutputStream()) {
                in.write(names.toString().getBytes(StandardCharsets.UTF_8));
            }
            String out;
            try {
                if (!p.waitFor(PYTHON_TIMEOUT_S, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    err.println("Note: compiling the Python sources took over " + PYTHON_TIMEOUT_S + " s; not checked.");
                    return;
                }
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while compiling the Python sources");
            }
            if (p.exitValue() == 1 && !out.isEmpty()) {
                String first = out.lines().reduce((a, b) -> b).orElse(out);
                throw new CliException("syntax error in " + dir + File.separator + first + " — fix it and upload again");
            }
            if (p.exitValue() != 0) err.println("Note: " + python + " could not compile the sources (exit " + p.exitValue() + "); not checked.");
        }
    }

    /** python3 on the PATH, else /usr/bin/python3, else null. */
    static Path python(Map<String, String> env) {
        Path onPath = CodeArchive.findOnPath("python3", env);
        if (onPath != null) return onPath;
        Path usr = Path.of("/usr/bin/python3");
        return Files.isExecutable(usr) ? usr : null;
    }
}
