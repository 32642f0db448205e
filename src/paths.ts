import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const COMPILED = /\/dist\/src\/?$/.test(HERE);

/** The repository (or image) root, from the sources (src/) and from the build (dist/src/) alike. */
export const ROOT_DIR = HERE.replace(/\/dist\/src\/?$/, "/").replace(/\/src\/?$/, "/");

/**
 * Curated content (topics, challenges, mini-projects). The build copies data/*.json into dist/data so
 * the compiled bot never reads next to the database volume (/app/data in the image).
 */
export const DATA_DIR = COMPILED ? `${ROOT_DIR}dist/data/` : `${ROOT_DIR}data/`;
