/** Where the Platform API lives: the same base path on the standalone server and in Backstage. */
export const API_BASE_PATH = '/api/idp';
export const DEFAULT_API_URL = `http://127.0.0.1:7007${API_BASE_PATH}`;
