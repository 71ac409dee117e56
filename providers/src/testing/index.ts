/** In-process fakes of the forges and real git repositories on disk, for the tests of every package (`@idp/providers/testing`). */
export { createRepo, git, gitEnv, writeFiles, TEST_AUTHOR, type TestRepo } from './repos.js';
export { FakeGit, type GitPerson } from './fake-git.js';
export { startGitHubFake, type FakeRepo, type FakePull, type FakeUser, type GitHubFake } from './github-fake.js';
export { startGitLabFake, type FakeProject, type GitLabFake, type GitLabFakeOptions } from './gitlab-fake.js';
export { faultProxy, awsJsonFault, vaultFault, type FaultProxy, type FaultFormat, type FaultAnswer } from './fault-proxy.js';
export { secretStoreContract, assertStoreError, canaryValue, type StoreFault, type StoreFaults, type StoreUnderTest, type ContractOptions as SecretStoreContractOptions } from '../secrets/contract.js';
export { startMoto, type Moto } from './moto.js';
export { startVaultFake, type VaultFake, type VaultFakeOptions, type VaultFault } from './vault-fake.js';
export { startLokiFake, type LokiFake, type LokiFakeOptions } from './loki-fake.js';
