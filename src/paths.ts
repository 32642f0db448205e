import { fileURLToPath } from "node:url";

/** The repository root, from the sources (src/) and from the build (dist/src/) alike. */
function findRoot(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  return here.replace(/\/dist\/src\/?$/, "/").replace(/\/src\/?$/, "/");
}

export const ROOT_DIR = findRoot();
export const DATA_DIR = `${ROOT_DIR}data/`;
