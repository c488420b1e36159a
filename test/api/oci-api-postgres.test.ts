import { ociApiSuite } from './oci-api-suite.js';

ociApiSuite('postgres');
