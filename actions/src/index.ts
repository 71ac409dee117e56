/** idp's Scaffolder actions module (issue 12; being built). */
export {};
