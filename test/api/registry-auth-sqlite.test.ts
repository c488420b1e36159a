import { registryAuthSuite } from './registry-auth-suite.js';

registryAuthSuite('sqlite');
