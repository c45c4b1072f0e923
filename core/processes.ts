// Whether a process id names a running process (one that may own a lock or a temporary folder).
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // It exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
