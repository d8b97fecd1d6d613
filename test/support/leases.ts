import * as k8s from '@kubernetes/client-node';
import { kubeConfig } from './kube.ts';

export const coordinationApi = (): k8s.CoordinationV1Api => kubeConfig().makeApiClient(k8s.CoordinationV1Api);
