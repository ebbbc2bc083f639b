// The paper broker passes the Broker contract.
import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import { runBrokerContract } from './broker.contract.js';

runBrokerContract('PaperBroker', () => new PaperBroker());
