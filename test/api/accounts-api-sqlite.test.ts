import { accountsApiSuite } from './accounts-suite.js';

accountsApiSuite('sqlite');
