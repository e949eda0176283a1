/** The error of a file or folder that is not there (or a path through something that is not a folder). */
export function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** For a `.catch`: `value` when the file or folder is not there, the error rethrown otherwise. */
export function ifMissing<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (isMissingFile(error)) return value;
    throw error;
  };
}
