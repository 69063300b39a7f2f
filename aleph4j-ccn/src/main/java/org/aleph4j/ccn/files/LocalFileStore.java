package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Files on local disk under {@code <root>/<first two hex>/<hash>}, for a single node (the default). Writes go to a
 * temp file in {@code <root>/tmp} while hashing, then move atomically into place, so a crash never leaves a partial
 * file under a hash name. Reads are not re-hashed: the disk is this node's own.
 */
public final class LocalFileStore implements FileStore {
    private final Path root;
    private final Spool spool;

    public LocalFileStore(Path root) throws IOException {
        this.root = root;
        this.spool = new Spool(root.resolve("tmp"));
    }

    private final class LocalStaged implements Staged {
        private final Spool.File file;
        private boolean committed;

        private LocalStaged(Spool.File file) {
            this.file = file;
        }

        @Override
        public String hash() {
            return file.sha256();
        }

        @Override
        public long size() {
            return file.size();
        }

        @Override
        public void commit() throws IOException {
            Path target = path(file.sha256());
            Files.createDirectories(target.getParent());
            if (Files.exists(target)) {
                Files.deleteIfExists(file.path());
            } else {
                try {
                    Files.move(file.path(), target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    Files.deleteIfExists(file.path());
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the file store needs a file system with atomic moves", e);
                }
            }
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) Files.deleteIfExists(file.path());
        }
    }

    @Override
    public Staged stage(InputStream in, long limit) throws IOException {
        return new LocalStaged(spool.write(in, limit, false));
    }

    public Path path(String hash) {
        FileStore.checkHash(hash);
        return root.resolve(hash.substring(0, 2)).resolve(hash);
    }

    @Override
    public boolean exists(String hash) {
        return FileStore.isHash(hash) && Files.isRegularFile(path(hash));
    }

    @Override
    public long size(String hash) throws IOException {
        return Files.size(path(hash));
    }

    @Override
    public Opened open(String hash) throws IOException {
        Path p = path(hash);
        InputStream in = Files.newInputStream(p);
        try {
            return new Opened(Files.size(p), in);
        } catch (NoSuchFileException e) {
            in.close();
            throw e;
        }
    }

    @Override
    public byte[] read(String hash) throws IOException {
        return Files.readAllBytes(path(hash));
    }

    @Override
    public void delete(String hash) throws IOException {
        if (FileStore.isHash(hash)) Files.deleteIfExists(path(hash));
    }

    @Override
    public String location() {
        return root.toString();
    }
}
